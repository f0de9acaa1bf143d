from services.initiatives.app import create_app
from services.initiatives.settings import InitiativesSettings
from shared.service import serve

if __name__ == "__main__":
    settings = InitiativesSettings()
    serve(lambda: create_app(settings), settings)
