"""The data lake: raw event objects by received hour, on a local folder or any fsspec URL."""

from clickstream.lake.store import LakeObject, LakeStore, open_lake

__all__ = ["LakeObject", "LakeStore", "open_lake"]
