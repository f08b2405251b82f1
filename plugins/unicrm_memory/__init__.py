"""unicrm plugin: memory."""
