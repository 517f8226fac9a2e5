"""The suite's network side."""
