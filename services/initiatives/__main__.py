from services.initiatives.app import create_app
from services.initiatives.settings import InitiativesSettings
from shared.service import serve
from shared.settings import settings_or_exit

if __name__ == "__main__":
    settings = settings_or_exit(InitiativesSettings)
    serve(lambda: create_app(settings), settings)
