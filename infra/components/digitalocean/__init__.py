"""DigitalOcean building blocks of the droplet target: host, managed Postgres, registry."""
