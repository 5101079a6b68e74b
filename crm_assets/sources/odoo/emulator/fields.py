"""The models the emulator serves and their fields, as `fields_get` describes them.

One line per field: `name type label [relation]`; a leading `~` marks a computed
field that is not stored (Odoo reports `store: false`; a connector should not read
it). Field names and labels follow the connector documentation of each model
(payments from `account`, insurance models from a Brazilian `mut_*` module).
"""

from __future__ import annotations

from typing import Any

_COMMON = """
id integer ID
display_name char Display Name
create_date datetime Created on
write_date datetime Last Updated on
create_uid many2one Created by res.users
write_uid many2one Last Updated by res.users
company_id many2one Company res.company
~has_message boolean Has Message
~message_is_follower boolean Is Follower
~message_needaction boolean Action Needed
~message_needaction_counter integer Number of Actions
~message_has_error boolean Message Delivery error
~message_has_error_counter integer Number of errors
~message_attachment_count integer Attachment Count
~message_has_sms_error boolean SMS Delivery error
message_ids one2many Messages mail.message
message_follower_ids one2many Followers mail.followers
~message_partner_ids many2many Followers (Partners) res.partner
website_message_ids one2many Website Messages mail.message
"""

_ACTIVITY = """
activity_ids one2many Activities mail.activity
~activity_state selection Activity State
~activity_date_deadline date Next Activity Deadline
~activity_summary char Next Activity Summary
~activity_type_id many2one Next Activity Type mail.activity.type
~activity_user_id many2one Responsible User res.users
~my_activity_date_deadline date My Activity Deadline
"""

_PROPONENT = """
partner_id many2one Proponente res.partner
proponent_type selection Tipo
proponent_name char Nome
proponent_vat char CNPJ/CPF
proponent_rg char RG
proponent_driver_license char CNH
proponent_birth_date date Data de Nascimento
~proponent_age integer Idade
proponent_email char E-mail
proponent_phone char Telefone
proponent_gender selection Gênero
proponent_marital_status selection Estado Civil
proponent_nationality char Nacionalidade
proponent_pep boolean PEP (Pessoa Politicamente Exposta)
proponent_legal_name char Razão Social
proponent_zip char CEP
proponent_zip_number char CEP (apenas números)
proponent_street_name char Logradouro
proponent_street_number char Número
proponent_street2 char Complemento
proponent_district char Bairro
proponent_city char Cidade
proponent_city_id many2one Cidade (ID) res.city
proponent_state_id many2one Estado res.country.state
proponent_country_id many2one País res.country
~proponent_address char Endereço completo
"""

PAYMENT = (
    """
name char Number
date date Date
amount monetary Amount
amount_signed monetary Amount Signed
amount_company_currency_signed monetary Amount Company Currency Signed
~amount_available_for_refund monetary Amount Available For Refund
state selection Status
payment_type selection Payment Type
partner_type selection Partner Type
memo char Memo
payment_reference char Payment Reference
currency_id many2one Currency res.currency
company_currency_id many2one Company Currency res.currency
journal_id many2one Journal account.journal
partner_id many2one Customer/Vendor res.partner
partner_bank_id many2one Recipient Bank Account res.partner.bank
payment_method_line_id many2one Payment Method account.payment.method.line
payment_method_id many2one Method account.payment.method
payment_method_code char Code
move_id many2one Journal Entry account.move
destination_account_id many2one Destination Account account.account
outstanding_account_id many2one Outstanding Account account.account
is_reconciled boolean Is Reconciled
is_matched boolean Is Matched With a Bank Statement
is_sent boolean Is Sent
invoice_ids many2many Invoices account.move
reconciled_invoice_ids many2many Reconciled Invoices account.move
~reconciled_invoices_count integer # Reconciled Invoices
reconciled_bill_ids many2many Reconciled Bills account.move
~reconciled_bills_count integer # Reconciled Bills
~reconciled_invoices_type selection Reconciled Invoices Type
~country_code char Country Code
"""
    + _ACTIVITY
)

QUOTATION = (
    """
name char Número da Proposta
status selection Status
active boolean Active
validity_date date Validade
standard_duration integer Duração Padrão
product_id many2one Produto de Seguro product.product
item_ids one2many Itens mut.policy.certificate
total_premium_amount monetary Valor do Prêmio Total
first_installment_amount monetary Valor da Primeira Parcela
installments_due_day integer Dia de Vencimento das Parcelas
factor float Fator
is_renewal boolean É Renovação
origin_policy_id many2one Apólice de Origem mut.policy
currency_id many2one Moeda res.currency
user_id many2one Vendedor res.users
access_token char Security Token
~items_display_name char Nome dos Itens
"""
    + _PROPONENT
    + _ACTIVITY
)

POLICY = (
    """
name char Número da Apólice
equotation_id many2one Proposta de Origem mut.insurance.quotation
state selection Estado
status selection Status
policy_type selection Tipo de Apólice
issue_date date Data de Emissão
effective_date date Data de Início da Vigência
expiry_date date Data de Fim da Vigência
total_premium_amount monetary Valor do Prêmio Total
first_installment_amount monetary Valor da Primeira Parcela
currency_id many2one Moeda res.currency
user_id many2one Vendedor res.users
insurance_product_id many2one Produto de Seguro product.product
certificate_ids one2many Certificados mut.policy.certificate
is_renewal boolean É Renovação
is_payment_overdue boolean Pagamento em Atraso
x_ebao_code char Código eBao
~invoice_count integer Quantidade de Faturas
"""
    + _PROPONENT
)

CERTIFICATE = """
name char Certificado
state selection Status
policy_id many2one Apólice mut.policy
policy_no char Número da Apólice
vehicle_plate char Placa
vehicle_chassis char Chassi
vehicle_manufacture_year integer Ano de Fabricação
vehicle_model_year integer Ano do Modelo
vehicle_fipe_code char Código FIPE
vehicle_fipe_value monetary Valor FIPE
vehicle_cc char Cilindradas
vehicle_fuel_type selection Tipo de Combustível
vehicle_zero_km boolean Zero KM
vehicle_armored boolean Blindado
premium_amount monetary Valor do Prêmio
item_amount monetary Valor do Item
coverage_ids one2many Coberturas mut.certificate.coverage
currency_id many2one Moeda res.currency
effective_date date Data de Início da Vigência
expiry_date date Data de Fim da Vigência
"""

COVERAGE = """
name char Nome
code char Código
state selection Status
certificate_id many2one Certificado mut.policy.certificate
coverage_id many2one Cobertura mut.coverage
coverage_type selection Tipo de Cobertura
has_deductible boolean Possui Franquia
premium_amount monetary Valor do Prêmio
deductible_amount monetary Valor da Franquia
sum_insured monetary Soma Segurada
description text Descrição
image binary Imagem
currency_id many2one Moeda res.currency
"""

SELECTIONS: dict[str, list[tuple[str, str]]] = {
    "state/account.payment": [("draft", "Draft"), ("posted", "Posted"), ("sent", "Sent"),
                              ("reconciled", "Reconciled"), ("cancelled", "Cancelled")],
    "payment_type": [("outbound", "Send"), ("inbound", "Receive")],
    "partner_type": [("customer", "Customer"), ("supplier", "Vendor")],
    "status/mut.insurance.quotation": [("draft", "Rascunho"), ("sent", "Enviada"),
                                       ("accepted", "Aceita"), ("refused", "Recusada"),
                                       ("expired", "Expirada")],
    "state/mut.policy": [("draft", "Rascunho"), ("active", "Ativa"),
                         ("cancelled", "Cancelada"), ("expired", "Expirada")],
    "status/mut.policy": [("pending", "Pendente"), ("issued", "Emitida"),
                          ("renewed", "Renovada")],
    "policy_type": [("auto", "Automóvel"), ("fleet", "Frota")],
    "proponent_type": [("person", "Pessoa Física"), ("company", "Pessoa Jurídica")],
    "proponent_gender": [("male", "Masculino"), ("female", "Feminino")],
    "proponent_marital_status": [("single", "Solteiro(a)"), ("married", "Casado(a)"),
                                 ("divorced", "Divorciado(a)"), ("widower", "Viúvo(a)")],
    "state": [("draft", "Rascunho"), ("active", "Ativo"), ("cancelled", "Cancelado")],
    "vehicle_fuel_type": [("flex", "Flex"), ("gasoline", "Gasolina"), ("diesel", "Diesel"),
                          ("electric", "Elétrico")],
    "coverage_type": [("basic", "Básica"), ("additional", "Adicional")],
    "activity_state": [("overdue", "Overdue"), ("today", "Today"), ("planned", "Planned")],
    "reconciled_invoices_type": [("credit_note", "Credit Note"), ("invoice", "Invoice")],
    "report_type": [("qweb-html", "HTML"), ("qweb-pdf", "PDF"), ("qweb-text", "Text")],
}  # fmt: skip


def parse(model: str, text: str) -> dict[str, dict[str, Any]]:
    """`fields_get` entries for one model from the compact lines above."""
    fields: dict[str, dict[str, Any]] = {}
    for line in filter(None, (_COMMON + text).splitlines()):
        stored = not line.startswith("~")
        name, kind, *rest = line.lstrip("~").split()
        relation = rest.pop() if kind in ("many2one", "one2many", "many2many") else None
        spec: dict[str, Any] = {"type": kind, "string": " ".join(rest), "store": stored,
                                "required": name == "id", "help": ""}  # fmt: skip
        if relation:
            spec["relation"] = relation
        if kind == "selection":
            spec["selection"] = SELECTIONS.get(f"{name}/{model}") or SELECTIONS[name]
        fields[name] = spec
    return fields


MODELS: dict[str, dict[str, dict[str, Any]]] = {
    "account.payment": parse("account.payment", PAYMENT),
    "mut.insurance.quotation": parse("mut.insurance.quotation", QUOTATION),
    "mut.policy": parse("mut.policy", POLICY),
    "mut.policy.certificate": parse("mut.policy.certificate", CERTIFICATE),
    "mut.certificate.coverage": parse("mut.certificate.coverage", COVERAGE),
}
MODELS["res.partner"] = parse("res.partner", "name char Name\nvat char Tax ID\nemail char Email\n"
                              "phone char Phone\nactive boolean Active\ncity char City")  # fmt: skip

# Small reference models the many2one fields point at (served, read as `[id, name]`).
LOOKUPS: dict[str, list[str]] = {
    "res.currency": ["BRL", "USD"],
    "res.company": ["Mutual Seguros S.A."],
    # Odoo's own two users first: OdooBot (the superuser, id 1) and the administrator.
    "res.users": ["OdooBot", "Administrator", "Ana Souza", "Bruno Lima"],
    "account.journal": ["Banco do Brasil", "Itaú", "PIX Recebimentos", "Dinheiro"],
    "account.payment.method": ["Manual Payment", "PIX", "Boleto"],
    "account.payment.method.line": ["Manual Payment (Banco)", "PIX (PIX Recebimentos)",
                                    "Boleto (Itaú)"],
    "product.product": ["Auto Individual", "Auto Frota", "Moto", "Caminhão"],
    "mut.coverage": ["Colisão", "Roubo e Furto", "Incêndio", "Terceiros - Danos Materiais",
                     "Terceiros - Danos Corporais", "Vidros", "Assistência 24h"],
}  # fmt: skip
_LOOKUP_FIELDS = ("id", "name", "display_name", "create_date", "write_date")
for _model in LOOKUPS:
    _parsed = parse(_model, "name char Name")
    MODELS[_model] = {k: _parsed[k] for k in _LOOKUP_FIELDS}


def _technical(model: str, text: str) -> dict[str, dict[str, Any]]:
    """A technical model's fields: the lookup columns and `text`'s own."""
    parsed = parse(model, "name char Name\n" + text)
    return {k: v for k, v in parsed.items() if k in _LOOKUP_FIELDS or k in text.split()}


# What `ir.model` lists, so clients that look a model up before using it find it.
MODELS["ir.model"] = _technical("ir.model", "model char Model")
# External ids (`base.user_admin`), which clients resolve with `check_object_reference`.
MODELS["ir.model.data"] = _technical(
    "ir.model.data", "module char Module\nmodel char Model Name\nres_id integer Record ID"
)
# The reports a user may print, which clients list by model.
MODELS["ir.actions.report"] = _technical(
    "ir.actions.report",
    "model char Model Name\nreport_name char Template Name\nreport_type selection Report Type",
)
# Each model's description (`ir.model`'s `name`), as Odoo and the modules define them.
DESCRIPTIONS = {
    "account.payment": "Payments",
    "mut.insurance.quotation": "Proposta de Seguro",
    "mut.policy": "Apólice",
    "mut.policy.certificate": "Certificado da Apólice",
    "mut.certificate.coverage": "Cobertura do Certificado",
    "res.partner": "Contact",
    "res.currency": "Currency",
    "res.company": "Companies",
    "res.users": "User",
    "account.journal": "Journal",
    "account.payment.method": "Payment Methods",
    "account.payment.method.line": "Payment Methods",
    "product.product": "Product Variant",
    "mut.coverage": "Cobertura",
    "ir.model": "Models",
    "ir.model.data": "Model Data",
    "ir.actions.report": "Report Action",
}
# External ids the emulated server defines: (module, name, model, id).
XMLIDS = [
    ("base", "user_root", "res.users", 1),
    ("base", "user_admin", "res.users", 2),
    ("base", "main_company", "res.company", 1),
    ("base", "BRL", "res.currency", 1),
    ("base", "USD", "res.currency", 2),
]
# Reports: (name, model, report_name, report_type).
REPORTS = [
    ("Payment Receipt", "account.payment", "account.report_payment_receipt", "qweb-pdf"),
    ("Apólice", "mut.policy", "mut_insurance.report_policy", "qweb-pdf"),
]
