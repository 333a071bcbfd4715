"""The registry's docket: filtered, searched, counted, keyset-paged, exported."""
