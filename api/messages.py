"""The seed's reply texts (Portuguese, typos kept: clients compare them) and ours.

Texts marked *ours* have no equivalent in the seed; see ``docs/api.md``.
"""

from __future__ import annotations

from typing import Final

MISSING_FIELDS: Final = "Todos os valores deverem ser preenchidos, verifique e tente novamente."
CANNOT_EXECUTE: Final = "Não foi possivel executar a ação, verifique e tente novamente."
NOT_ON_WHATSAPP: Final = "O número informado não pode receber mensagens via whatsapp"
MESSAGE_SENT: Final = "Mensagem enviada com sucesso"
START_THE_SYSTEM: Final = "Não foi possivel executar a ação, inicie o sistema"
MALFORMED_JSON: Final = "Json gerado de forma incorreta, efetue a correção e tente novamente"
UNKNOWN_URL: Final = "Não foi possivel executar a ação, verifique a url informada."

TOKEN_MISSING: Final = "Token não informado, verifique e tente novamente"
TOKEN_INVALID: Final = "Token invalido, verifique e tente novamente"
TOKEN_NOT_FOUND: Final = "Token não encontrado, verifique e tente novamente"
TOKEN_INACTIVE: Final = "Token não habilitado para uso, contate o administrador do sistema"
TOKEN_EXPIRED: Final = "Token vencido, contate o administrador do sistema"
TOKEN_DB_ERROR: Final = "Erro na verificação do token, verifique e tente novamente"

QR_WAITING: Final = "Aguardando leitura do QR-Code"
SESSION_CLOSED: Final = "Sessão fechada com sucesso"
SESSION_LOGGED_OUT: Final = "Sessão desconetada com sucesso"
SYSTEM_RESTARTED: Final = "Sistema reiniciado com sucesso"
SYSTEM_OFFLINE: Final = "Sistema Off-line"
NO_SESSIONS: Final = "Nenhuma sessão criada"
SESSION_NOT_FOUND: Final = "Sessão não encontrada"  # ours (getSession of a missing session)
PAIRING_CODE: Final = "Código de pareamento gerado, digite-o no celular"  # ours
PAIRING_PENDING: Final = "Código de pareamento solicitado, aguarde e consulte o status"  # ours
NAME_TAKEN: Final = "SessionName em uso por outro token, escolha outro nome"  # ours
BODY_TOO_LARGE: Final = "Corpo da requisição grande demais"  # ours
INVALID_VIEW: Final = "O campo View deve ser true ou false"  # ours
INVALID_PHONE: Final = "O campo phonefull deve ter de 8 a 15 dígitos, com o código do país"  # ours
INVALID_WEBHOOK: Final = "URL de webhook inválida em {field}: use http:// ou https:// (até 2048 caracteres)"  # ours
BACKEND_UNAVAILABLE: Final = "Serviço temporariamente indisponível, tente novamente"  # ours (API server down)
