# No tables. The module exists because Django sends post_migrate only to apps that have a
# models module, and config/apps.py creates the cache table on post_migrate.
