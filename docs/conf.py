"""Sphinx configuration for numopt."""
import numopt

project = "numopt"
author = "numopt developers"
release = numopt.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
]
autosummary_generate = True
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()
intersphinx_mapping = {}
templates_path = []
exclude_patterns = ["_build", "dev/conventions.md"]
source_suffix = {".rst": "restructuredtext"}
html_theme = "pydata_sphinx_theme" if __import__("importlib").util.find_spec("pydata_sphinx_theme") \
    else "alabaster"
html_static_path = []
