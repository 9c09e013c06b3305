"""Prompt templates (the `=== user ===`-split Markdown files here), shipped as `rag.prompt_files`."""
