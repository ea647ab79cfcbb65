"""The scheduler: EventBridge `rate(...)`/`cron(...)` expressions and the loop that runs the ETL."""
