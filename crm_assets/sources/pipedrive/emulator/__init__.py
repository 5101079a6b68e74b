"""A faithful fake of Pipedrive's API v1 and v2, served as a WSGI app (see `app.py`)."""

from crm_assets.sources.pipedrive.emulator.app import PipedriveEmulator

__all__ = ["PipedriveEmulator"]
