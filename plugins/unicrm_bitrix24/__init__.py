"""unicrm plugin: bitrix24."""
