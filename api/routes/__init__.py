"""The API's routes, one module per resource; `ROUTERS` is what the app includes."""

from api.routes import acts, documents, jobs, keys, registries, search, service

ROUTERS = [search.router, documents.router, acts.router, registries.router, jobs.router, keys.router, service.router]
