"""`python -m services.quiz` serves the quiz service."""

from services.quiz.app import create_app
from services.quiz.settings import QuizSettings
from shared.service import serve
from shared.settings import settings_or_exit

if __name__ == "__main__":
    settings = settings_or_exit(QuizSettings)
    serve(lambda: create_app(settings), settings)
