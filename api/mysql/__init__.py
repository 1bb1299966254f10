"""MySQL/MariaDB: the seed's schema, its token table and the sessionwa mirror."""
