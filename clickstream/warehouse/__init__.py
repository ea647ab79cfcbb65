"""The PostgreSQL warehouse: migrations, connections and the tables every stage shares."""
