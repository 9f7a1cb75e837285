"""Local date formats (FORMAT_MODULE_PATH): Django looks here first for each language, then
falls back to its own. Only English is changed; zh-hans keeps Django's formats."""
