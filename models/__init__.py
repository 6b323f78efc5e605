"""Preparing model weights offline, once per machine; nothing here indexes."""
