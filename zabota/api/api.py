from ninja import NinjaAPI

api = NinjaAPI(title="Zabota API", version="1", urls_namespace="api")
