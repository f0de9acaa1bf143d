from shared.service import serve

from services.engagement.app import create_app
from services.engagement.settings import EngagementSettings

if __name__ == "__main__":
    settings = EngagementSettings()
    serve(lambda: create_app(settings), settings)
