"""The event contract shared by every stage: what the tracker sends and what the lake holds."""
