"""Octopus's REST API (``octopus-rest-api/v1``, Inaras): the wire facts sfsync uses, each with its source.

Sources (read through the project's search corpus; no live access):

* [M] the vendor's manual, login.octopus.be/manual/octopus-webservice/api/ — ``authentication.htm``,
  ``dossier_token.htm``, ``requirements.htm`` (and the older ``/manual/FR/…`` copies);
* [C#] a C# client ``CPMCore.Services.Octopus.OctopusApiClient`` and its models;
* [RB] a Ruby client ``OctopusClient::Client`` (resources ``accounts``, ``bookyears``,
  ``financial_divers_bookings``);
* [PHP] BertMaurau/inaras-php-wrapper @b49ad8e1 ``src/ReturnCodes.php`` (SOAP return codes), and a
  Laravel app's ``OctopusController`` calling the REST API;
* [PY] a deppy example wiring ``/authentication`` → ``/dossiers`` → ``/bookyears``.

What no source settles is in :mod:`sfsync_octopus.assumed`, not here.
"""

from __future__ import annotations

__all__ = [
    "API_BASE",
    "AUTH_TOKEN_HEADER",
    "DOSSIER_TOKEN_HEADER",
    "EPOCH_STAMP",
    "SOFTWARE_HOUSE_HEADER",
    "STAMP_FORMAT",
    "TOKEN_SECONDS",
]

API_BASE = "https://service.inaras.be/octopus-rest-api/v1"
"""[C#][RB][PY][PHP] The REST API's base URL."""

SOFTWARE_HOUSE_HEADER = "softwareHouseUuid"
"""[C#][RB][PHP] ``POST /authentication`` names the software house in this *header* (the C# client
stresses it must be a header), with the JSON body ``{"user", "password"}``; the answer is
``{"token": …}``. [M] The software-house identification is requested from support@octopus.be;
one per software company, whatever its number of products."""

AUTH_TOKEN_HEADER = "Token"
"""[C#][RB][PY] ``GET /dossiers`` (the dossiers the user may open) and ``POST
/dossiers?dossierId=N`` (connect a dossier, optional ``localeId`` [PY]) take the login token in
this header. The connect answer is ``{"Dossiertoken": …}`` (capital D; the Ruby client also
tries ``dossiertoken``), optionally with ``validUntil`` [C#]."""

DOSSIER_TOKEN_HEADER = "dossierToken"
"""[M][C#][RB][PHP] Every call but authentication and the dossier list carries the dossier token
in this header."""

TOKEN_SECONDS = 600
"""[M] Both the login token and the dossier token are valid 10 minutes. (OAuth: access token
10 minutes, refresh token 60 days, code 5 minutes — sfsync uses the credentials flow.)"""

STAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
"""[C#][RB][PHP] ``modifiedTimeStamp`` is sent as ``yyyy-MM-dd HH:mm:ss.fff`` (milliseconds)."""

EPOCH_STAMP = "2000-01-01 00:00:00.000"
"""[RB] The stamp the Ruby client sends to read *everything* through a ``…/modified`` endpoint."""

# Endpoints sfsync calls (read only):
#   GET  /dossiers                                        [C#][RB][PY] dossierKey.id, dossierDescription,
#        vatNr, streetAndNr, postalCode, city, country, email, url, corporationTypeKey.id, languageCode [C#]
#   GET  /dossiers/{id}/bookyears                         [C#][RB][PY] bookyearKey.id, bookyearDescription,
#        startDate, endDate, closed, periods[bookyearPeriod, startDate, endDate] [C#]
#   GET  /dossiers/{id}/accounts/modified?modifiedTimeStamp  [RB] (with EPOCH_STAMP: the whole chart);
#        accounts carry bookyearKey.id, accountKey (int), description1 [RB tests]
#   GET  /dossiers/{id}/accounts/amounts/modified?modifiedTimeStamp  [RB] (−77 ERR_GET_MODIFIED_ACCOUNT_AMOUNTS [PHP])
#   GET  /dossiers/{id}/bookyears/{bookyearId}/bookings/modified?modifiedTimeStamp[&journalTypeId]  [PHP]
#        bookings carry bookyearKey.id, journalKey, documentSequenceNr, bookyearPeriodeNr (yyyyPP),
#        documentDate, currencyCode, exchangeRate, comment, reference, bookingLines [PHP]
# Errors: an ErrorResult body {errorCode, errorMessage, technicalInfo} [C#]; 401 = bad credentials at
# /authentication, an expired or invalid token elsewhere [RB].
# Bookyears are closed with POST …/bookyears/{id}/close [RB]: a closed bookyear takes no bookings.
# Journals and accounts are per bookyear (help.zenvoices.com's Octopus article; [C#] journal model).
