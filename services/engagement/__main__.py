from services.engagement.app import create_app
from services.engagement.settings import EngagementSettings
from shared.service import serve

if __name__ == "__main__":
    settings = EngagementSettings()
    serve(lambda: create_app(settings), settings)
