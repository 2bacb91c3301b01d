//! A local emulator of the Snowflake SQL API v2 and of the account objects pat-reconcile manages.
