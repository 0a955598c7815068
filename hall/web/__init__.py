"""What every page and endpoint shares, below the blueprints: the hall context, who is
calling (auth), the page context and public base URL, one CSP and one base template,
security headers and limits. Blueprints import from here; nothing here imports a
blueprint or the app factory."""
