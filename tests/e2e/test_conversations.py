"""Whole conversations over REST against the running Rasa server, action server and carrier."""

from __future__ import annotations

import re


def joined(replies):
    return "\n".join(replies)


def test_order_lookup_needs_proof_of_ownership(chat):
    c = chat()
    first = joined(c.say("where is my order A10002"))
    assert "A10002" in first and ("email" in first or "phone" in first)
    assert "SP0" not in first and "Linen" not in first  # nothing about the order before proof
    answer = joined(c.say("lily.chen@example.com"))
    assert "SwiftParcel" in answer and re.search(r"SP\d{9}", answer) and "Linen Shirt" in answer


def test_someone_elses_order_stays_private(chat):
    c = chat()
    c.say("track order A10001 please")
    reply = joined(c.say("my email is james.miller@example.com"))
    assert "doesn't match" in reply and "Floral" not in reply and "SP0" not in reply


def test_return_eligibility_and_request_in_chinese(chat):
    c = chat()
    ask = joined(c.say("我想退货 订单A10001"))
    assert "邮箱" in ask or "手机号" in ask
    offer = joined(c.say("手机号13812345678"))
    assert "碎花连衣裙" in offer and "退货" in offer
    done = joined(c.say("好的"))
    assert "退货申请" in done and "li***@example.com" in done


def test_size_advice_mixed_language(chat):
    reply = joined(chat().say("这件碎花连衣裙M码合适吗 I'm 170cm 60kg"))
    assert "码" in reply and "碎花连衣裙" in reply and re.search(r"\b(L|XL|M)\b", reply)


def test_coupon_list_from_shop_data(chat):
    reply = joined(chat().say("do you have any coupon codes?"))
    assert "SAVE10" in reply and "SUMMER20" not in reply


def test_reply_follows_the_buyers_language(chat):
    assert "您好" in joined(chat().say("你好"))
    assert "Hi" in joined(chat().say("hello"))


def test_an_email_or_emoji_alone_keeps_the_chinese_reply(chat):
    c = chat()
    assert "邮箱" in joined(c.say("订单A10002到哪了"))
    answer = joined(c.say("lily.chen@example.com"))
    assert "SwiftParcel" in answer and re.search(r"[\u4e00-\u9fff]", answer)
    assert re.search(r"[\u4e00-\u9fff]", joined(c.say("👍")))


def test_two_unintelligible_messages_reach_a_person(chat):
    c = chat()
    c.say("啊吧啊吧 zzkq")
    reply = joined(c.say("哦哦 qwpeoiru 嗯"))
    assert "人工" in reply, reply
    assert c.say("hello?") == []  # the bot is paused: a person has the chat


def test_damage_right_after_a_status_answer_is_a_complaint(chat):
    c = chat()
    c.say("where is my order A10002")
    assert "SwiftParcel" in joined(c.say("lily.chen@example.com"))
    reply = joined(c.say("ok it finally came but the box was crushed and the shirt is ripped"))
    assert "sorry" in reply.lower() and "person" in reply, reply
