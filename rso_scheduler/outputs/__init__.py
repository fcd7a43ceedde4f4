"""Writers of everything the tool hands back: roster files, day sheets, run records, reports."""
