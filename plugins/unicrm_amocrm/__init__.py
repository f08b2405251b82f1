"""unicrm plugin: amocrm."""
