"""Background jobs: long work runs on a Huey task queue, its state and outcome kept in the `jobs` table."""
