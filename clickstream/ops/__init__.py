"""Operations: structured logs now; metrics, alarms and notifications as they arrive."""
