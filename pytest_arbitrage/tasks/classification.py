"""classification: banking customer intents (Banking77); accuracy on the first intent name.

Hub: PolyAI/banking77 (77 intents), from its parquet conversion. Offline: messages we
compose from our own templates for 16 of the 77 intents; the program always offers all 77.
"""
from __future__ import annotations

import random

import dspy

from pytest_arbitrage.metrics import label_score
from pytest_arbitrage.tasks import register
from pytest_arbitrage.tasks._common import PARQUET_BRANCH, DataSpec, HubSpec, field_text, make_loader
from pytest_arbitrage.tasks.base import Score, Task

INTENTS = (
    "activate_my_card age_limit apple_pay_or_google_pay atm_support automatic_top_up "
    "balance_not_updated_after_bank_transfer balance_not_updated_after_cheque_or_cash_deposit "
    "beneficiary_not_allowed cancel_transfer card_about_to_expire card_acceptance card_arrival "
    "card_delivery_estimate card_linking card_not_working card_payment_fee_charged "
    "card_payment_not_recognised card_payment_wrong_exchange_rate card_swallowed cash_withdrawal_charge "
    "cash_withdrawal_not_recognised change_pin compromised_card contactless_not_working country_support "
    "declined_card_payment declined_cash_withdrawal declined_transfer direct_debit_payment_not_recognised "
    "disposable_card_limits edit_personal_details exchange_charge exchange_rate exchange_via_app "
    "extra_charge_on_statement failed_transfer fiat_currency_support get_disposable_virtual_card "
    "get_physical_card getting_spare_card getting_virtual_card lost_or_stolen_card lost_or_stolen_phone "
    "order_physical_card passcode_forgotten pending_card_payment pending_cash_withdrawal pending_top_up "
    "pending_transfer pin_blocked receiving_money Refund_not_showing_up request_refund reverted_card_payment? "
    "supported_cards_and_currencies terminate_account top_up_by_bank_transfer_charge top_up_by_card_charge "
    "top_up_by_cash_or_cheque top_up_failed top_up_limits top_up_reverted topping_up_by_card "
    "transaction_charged_twice transfer_fee_charged transfer_into_account transfer_not_received_by_recipient "
    "transfer_timing unable_to_verify_identity verify_my_identity verify_source_of_funds verify_top_up "
    "virtual_card_not_working visa_or_mastercard why_verify_identity wrong_amount_of_cash_received "
    "wrong_exchange_rate_for_cash_withdrawal"
).split()

SLOTS = {
    "place": ["at the airport", "in Lisbon", "at the train station", "abroad", "at the mall", "in a shop"],
    "amount": ["20", "45", "100", "250", "500", "75"],
    "cur": ["euros", "dollars", "pounds", "yen", "francs"],
    "shop": ["the supermarket", "a coffee shop", "an online store", "a hotel", "the cinema", "a taxi ride"],
    "days": ["three", "five", "seven", "ten", "twelve"],
    "day": ["Monday", "Friday", "the weekend", "yesterday", "last week"],
}

TEMPLATES = {
    "card_arrival": ["My new card still hasn't arrived after {days} days.", "I ordered a card {day} and it is not here yet.",
                     "Where is my card? It was sent {days} days ago.", "Still waiting for my card to show up in the post, ordered {day}."],
    "lost_or_stolen_card": ["I lost my card {place}.", "Someone stole my card {place}, what should I do?",
                            "My card went missing {day}.", "I think my card was taken {place}, please help."],
    "exchange_rate": ["What rate do you use to change {amount} dollars into {cur}?", "How many {cur} do I get for {amount} pounds?",
                      "What is today's rate for {cur}?", "Tell me the current conversion rate to {cur}."],
    "top_up_failed": ["My top-up of {amount} {cur} failed.", "I tried to add {amount} {cur} to my account {day} but it did not work.",
                      "Why did my top-up not go through {place}?", "Adding money failed again, {amount} {cur}."],
    "change_pin": ["How do I change my PIN?", "I want to set a new PIN, can I do it {place}?",
                   "Can I pick a different PIN for my card?", "Where do I go to update my PIN {day}?"],
    "transfer_timing": ["How long will a transfer of {amount} {cur} take?", "When will the money I sent {day} arrive?",
                        "My transfer of {amount} {cur} is taking a while, how many days is normal?", "How fast are transfers sent {place}?"],
    "cash_withdrawal_charge": ["Why was I charged for taking out {amount} {cur} {place}?", "Is there a fee for ATM withdrawals {place}?",
                               "I got a fee after withdrawing cash {day}.", "How much do you charge to take {amount} {cur} from a cash machine?"],
    "terminate_account": ["Please close my account.", "I want to delete my account {day}.",
                          "How can I shut down my account for good?", "Cancel my account, I am moving my money elsewhere."],
    "verify_my_identity": ["How do I verify my identity?", "What documents do you need to confirm who I am?",
                           "Where do I upload my ID to get verified?", "I need to prove my identity {day}, how?"],
    "transaction_charged_twice": ["I was charged twice at {shop}.", "The same payment of {amount} {cur} shows up two times.",
                                  "{shop} took my money twice {day}.", "Why do I see a double charge of {amount} {cur}?"],
    "age_limit": ["Can my {days}-year-old open an account?", "Is there a minimum age to sign up?",
                  "How old do you have to be to use this bank?", "Can a teenager get a card?"],
    "apple_pay_or_google_pay": ["Can I add my card to Apple Pay?", "Does Google Pay work with your card {place}?",
                                "How do I set up my phone wallet with this card?", "Is Apple Pay supported {place}?"],
    "atm_support": ["Where can I find a cash machine that takes this card {place}?", "Which ATMs accept your card?",
                    "Can I use any ATM {place}?", "Is there an ATM near {shop} that works with this card?"],
    "passcode_forgotten": ["I forgot my app passcode.", "I cannot remember my passcode, how do I reset it?",
                           "Locked out of the app since {day}, forgot the passcode.", "How do I recover my passcode {place}?"],
    "request_refund": ["I want a refund for my purchase at {shop}.", "How do I ask {shop} to give my {amount} {cur} back?",
                       "Can I get my money back for an order {day}?", "Please help me request a refund of {amount} {cur}."],
    "card_swallowed": ["The ATM kept my card {place}.", "A cash machine swallowed my card {day}.",
                       "My card got stuck inside an ATM {place}.", "The machine ate my card, what now?"],
}


OPENERS = ["", "Hi, ", "Hello. ", "Quick question: ", "Please help. ", "Hey there, "]
CLOSERS = ["", " Thanks.", " Thank you!", " Any idea?", " This is urgent.", " Cheers."]


def generate(per_intent: int = 36) -> list[dict]:
    rng, records = random.Random(77), []
    for intent, templates in sorted(TEMPLATES.items()):
        texts: dict[str, None] = {}
        for i in range(per_intent * 20):
            body = templates[i % len(templates)].format(**{k: rng.choice(v) for k, v in SLOTS.items()})
            opener = rng.choice(OPENERS)
            body = body if not opener else body[0].lower() + body[1:] if opener.endswith(", ") else body
            texts.setdefault(opener + body + rng.choice(CLOSERS), None)
            if len(texts) == per_intent:
                break
        records += [{"text": text, "intent": intent} for text in texts]
    return records


def _from_banking77(row) -> dict:
    return {"text": row["text"], "intent": row["label_name"]}


class Intent(dspy.Signature):
    __doc__ = "Classify the bank customer message into one intent from this list: " + ", ".join(INTENTS)

    text: str = dspy.InputField()
    intent: str = dspy.OutputField(desc="one intent from the list")


def score(example: dspy.Example, pred: dspy.Prediction) -> Score:
    labels = INTENTS if example.intent in INTENTS else (*INTENTS, example.intent)
    return label_score(field_text(pred, "intent"), example.intent, labels)


DATA = DataSpec(
    task="classification",
    inputs=("text",),
    offline=generate,
    sizes=(100, 100, 300),
    # main ships only a loading script (refused by datasets >= 4); the conversion keeps the ClassLabel names
    hub=HubSpec("PolyAI/banking77", _from_banking77, revision=PARQUET_BRANCH),
    stratify="intent",
)

TASK = register(
    Task(
        name="classification",
        description="Banking customer intent classification (Banking77, 77 intents); accuracy.",
        signature=Intent, pipeline=True,
        load=make_loader(DATA),
        score=score,
    )
)
