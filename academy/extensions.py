"""Flask extensions, created unbound here and bound to an app in ``create_app``."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every model."""


db = SQLAlchemy(model_class=Base)
# render_as_batch lets Alembic alter SQLite tables by copying them.
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
# No default limits: only the routes that need throttling (sign-in, reset,
# registration, certificate lookups) declare one.
limiter = Limiter(key_func=get_remote_address)
