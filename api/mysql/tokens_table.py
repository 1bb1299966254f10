"""Reading one row of the seed's ``tokens`` table."""

from __future__ import annotations

from mywhatsapp.api.mysql.connection import connect
from mywhatsapp.api.settings import Settings
from mywhatsapp.api.tokens import TokenRow


def lookup(settings: Settings, token: str) -> TokenRow | None:
    """The row for ``token`` or None; database errors propagate (``pymysql.MySQLError``)."""
    connection = connect(settings)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT authorizationtoken, active, datafinal FROM tokens "
                "WHERE authorizationtoken = %s LIMIT 1",
                (token,),
            )
            row = cursor.fetchone()
    finally:
        connection.close()
    if row is None:
        return None
    return TokenRow(authorizationtoken=str(row[0]), active=row[1], datafinal=row[2])
