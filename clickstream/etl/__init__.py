"""The batch ETL: lake files not yet in the manifest become warehouse rows, each exactly once."""
