"""The API's routes, one module per resource; `ROUTERS` is what the app includes."""

from api.routes import documents, jobs, keys, registries, search, service

ROUTERS = [search.router, documents.router, registries.router, jobs.router, keys.router, service.router]
