"""Extension objects, created without an app and bound in create_app()."""
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from models import db

migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
bootstrap = Bootstrap5()

__all__ = ["bootstrap", "csrf", "db", "login_manager", "migrate"]
