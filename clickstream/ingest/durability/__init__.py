"""What keeps an acknowledged event until the lake has it: spool, fsync workers, shipper."""
