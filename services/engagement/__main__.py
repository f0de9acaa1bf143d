from services.engagement.app import create_app
from services.engagement.settings import EngagementSettings
from shared.service import serve
from shared.settings import settings_or_exit

if __name__ == "__main__":
    settings = settings_or_exit(EngagementSettings)
    serve(lambda: create_app(settings), settings)
