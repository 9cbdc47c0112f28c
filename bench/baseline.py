"""The trivial Flask app every web benchmark is compared with: one route returning a short string."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "ok"
