"""The two registers (名录库): institutions to check, and inspectors."""
