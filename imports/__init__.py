"""Reading and checking city spreadsheets and data files (SPEC §5, §7); no Flask, no database."""
