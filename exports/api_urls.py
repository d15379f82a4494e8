from rest_framework.routers import SimpleRouter

from exports.api import ExportLocationViewSet

router = SimpleRouter()
router.register("export-locations", ExportLocationViewSet, basename="export-location")
urlpatterns = router.urls
