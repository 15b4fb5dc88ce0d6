#!/usr/bin/python3
"""Writes the hand-made seeds of tests/fuzz/corpus/ (issue 15): deep nesting around the limit
of 64 and far beyond it, huge strings, many keys, numbers at the edges of double and int64,
invalid UTF-8, binary-event headers, empty arrays and ack ids at the edge. The other seeds
(hex names) are inputs libFuzzer found. Rerun after changing this file; the seeds are
committed, so a run needs no generator.
Usage: tests/fuzz/make_seeds.py
"""
import pathlib

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"


def deep(levels, open_="[", close="]", inner=""):
    return open_ * levels + inner + close * levels


def deep_objects(levels):
    return '{"a":' * levels + "1" + "}" * levels


# Numbers where double and int64 end: overflow to infinity, underflow to zero, negative zero,
# the first integer a double cannot hold, int64's ends and one past them.
EDGE_NUMBERS = ["1e309", "-1e309", "1e-400", "-0", "-0.0", "9007199254740993", "9223372036854775807",
                "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "1" * 400]

# Bytes that are not UTF-8: a lone continuation byte, an overlong '/', a truncated sequence,
# a surrogate encoded in UTF-8, bytes past U+10FFFF; and a lone surrogate as a JSON escape.
BAD_UTF8 = b'"\x80\xc0\xaf\xe2\x82\xed\xa0\x80\xf4\x90\x80\x80\xff\\ud800"'


def wire_seeds():
    """A client's event array, as decode_wire_event reads it (without the 42 header)."""
    seeds = {
        "deep_64_at_limit": '["pyodide_player_action",{"game_id":1,"action":' + deep(62) + ',"frame_number":1}]',
        "deep_65_over_limit": '["pyodide_player_action",{"game_id":1,"action":' + deep(63) + ',"frame_number":1}]',
        "deep_100": '["register_subject",' + deep(100) + "]",
        "deep_100000": '["register_subject",' + deep(100000) + "]",
        "deep_objects_100": '["emit_multiplayer_metrics",{"game_id":1,"metrics":' + deep_objects(100) + "}]",
        "deep_unclosed_1000": '["register_subject",' + "[" * 1000,
        "brackets_in_strings": '["register_subject",{"subject_id":"' + "[" * 200 + '\\"' + "{" * 200 + '"}]',
        "escaped_backslash": '["webrtc_signal",{"game_id":1,"target_player_id":1,"type":"\\\\","payload":["\\\\",[1]]}]',
        "huge_string": '["pyodide_player_action",{"game_id":1,"action":"' + "x" * 70000 + '","frame_number":1}]',
        "huge_subject_id": '["register_subject",{"subject_id":"' + "s" * 5000 + '"}]',
        "many_keys": '["emit_multiplayer_metrics",{"game_id":1,"metrics":{'
        + ",".join(f'"k{i}":{i}' for i in range(5000)) + "}}]",
        "empty_array": "[]",
        "empty_name": '[""]',
        "null_name": "[null]",
        "null_payload": '["join_game",null]',
        "array_payload": '["join_game",[]]',
    }
    # mug's client's events (issue 18): relays passed on as sent, fixed replies, telemetry.
    seeds.update({
        "mug_ping_first": '["ping",{"document_in_focus":false}]',
        "mug_request_current_scene": '["request_current_scene",{}]',
        "mug_entry_callback": '["execute_entry_callback",{"session_id":"s","scene_id":"a","context":{"ping":0}}]',
        "mug_state_sync": '["p2p_state_sync",{"game_id":1,"sender_id":0,"frame_number":5,"state_hash":"ab",'
        '"action_counts":{"0":{"1":2}}}]',
        "mug_state_request": '["p2p_state_request",{"game_id":"1","requester_id":1,"target_id":"0","frame_number":5}]',
        "mug_state_response_deep": '["p2p_state_response",{"game_id":1,"target_id":1,"env_state":' + deep(60) + "}]",
        "mug_state_response_huge": '["p2p_state_response",{"game_id":1,"target_id":1,"env_state":"' + "e" * 70000 + '"}]',
        "mug_validation_status": '["p2p_validation_status",{"game_id":1,"status":' + deep(61) + "}]",
        "mug_console_log_deep": '["client_console_log",{"message":' + deep(62) + "}]",
        "mug_health_report": '["p2p_health_report",{"game_id":1,"player_id":0,"latency_ms":null}]',
        "mug_metrics_game_inside": '["emit_multiplayer_metrics",{"scene_id":"g","metrics":{"gameId":"7","x":[1]}}]',
    })
    for i, n in enumerate(EDGE_NUMBERS):
        seeds[f"number_ping_{i}"] = '["ping",{"ping_ms":' + n + ',"document_in_focus":true}]'
        seeds[f"number_target_{i}"] = '["p2p_state_request",{"game_id":1,"target_id":' + n + "}]"
        seeds[f"number_metrics_game_{i}"] = '["emit_multiplayer_metrics",{"metrics":{"gameId":' + n + "}}]"
        seeds[f"number_game_{i}"] = '["p2p_connection_lost",{"game_id":' + n + ',"frame_number":' + n + "}]"
    out = {name: text.encode() for name, text in seeds.items()}
    out["invalid_utf8_subject"] = b'["register_subject",{"subject_id":' + BAD_UTF8 + b"}]"
    out["invalid_utf8_name"] = b"[" + BAD_UTF8 + b",{}]"
    return out


def frame_seeds():
    """Whole Engine.IO/Socket.IO text frames."""
    seeds = {
        "deep_100": '42["register_subject",' + deep(100) + "]",
        "deep_100000": '42["register_subject",' + deep(100000) + "]",
        "huge_string": '42["pyodide_player_action",{"game_id":1,"action":"' + "x" * 20000 + '","frame_number":1}]',
        "many_keys": '42["emit_multiplayer_metrics",{"game_id":1,"metrics":{'
        + ",".join(f'"k{i}":{i}' for i in range(2000)) + "}}]",
        "event_empty_array": "42[]",
        "event_empty_array_spaced": "42[ \n ]",
        "ack_empty_array": "431[]",
        "binary_one": '451-["upload",{"_placeholder":true,"num":0}]',
        "binary_no_count": '45-["upload"]',
        "binary_bare": "45-",
        "binary_count_only": "451-",
        "binary_huge_count": '459999999-["x"]',
        "binary_nsp_ack": '452-/admin,7["x",{"_placeholder":true,"num":1}]',
        "binary_ack": '461-3[{"_placeholder":true,"num":0}]',
        # A header, then after each NUL byte one binary frame (fuzz_socketio_frame.cpp).
        "binary_episode_data": '451-5["emit_episode_data",{"data":{"_placeholder":true,"num":0},"scene_id":"g",'
        '"episode_num":1}]\0\x81\xa1t\x93\x01\x02\x03',
        "binary_two_swapped": '452-["x",{"b":{"_placeholder":true,"num":1}},[{"_placeholder":true,"num":0}]]\0zero\0one',
        "binary_count_mismatch": '452-["x",{"_placeholder":true,"num":0}]\0a\0b',
        "binary_duplicate_num": '452-["x",{"_placeholder":true,"num":1},{"_placeholder":true,"num":1}]\0a\0b',
        "binary_huge_num": '451-["x",{"_placeholder":true,"num":18446744073709551616}]\0a',
        "binary_negative_num": '451-["x",{"_placeholder":true,"num":-1}]\0a',
        "binary_too_many": '4517-["x"]' + "\0a" * 17,
        "binary_too_large": '451-["x",{"_placeholder":true,"num":0}]\0' + "b" * 5000,
        "binary_missing_frames": '453-["x",{"_placeholder":true,"num":0}]\0a',
        "ack_id_zero": '420["x"]',
        "ack_id_int64_max": '429223372036854775807["x"]',
        "ack_id_int64_max_plus_1": '429223372036854775808["x"]',
        "ack_id_leading_zeros": '4200000000000000000000001["x"]',
        "ack_reply_int64_max": "439223372036854775807[1]",
        "ack_negative": '43-1["x"]',
        "nsp_then_ack": '42/,12["x"]',
        "nsp_unterminated": "42/admin",
        "connect_payload": '40{"token":"' + "t" * 1000 + '"}',
        "numbers": '42["ping",{"ping_ms":1e309,"a":-0,"b":9007199254740993,"c":1e-400}]',
    }
    out = {name: text.encode() for name, text in seeds.items()}
    out["invalid_utf8"] = b'42["register_subject",{"subject_id":' + BAD_UTF8 + b"}]"
    out["invalid_utf8_header"] = b"4\xff2[]"
    return out


def config_text(server="", scene=""):
    return ('{"experiment_id":"x",' + server + '"scenes":[{"scene_id":"g","type":"game","human_seats":2'
            + scene + "}]}")


def config_seeds():
    seeds = {
        "deep_64_at_limit": config_text(scene=',"messages":{"partner_excluded":' + deep(60) + "}"),
        "deep_65_over_limit": config_text(scene=',"messages":{"partner_excluded":' + deep(61) + "}"),
        "deep_100": deep(100),
        "deep_100000": deep(100000),
        "deep_objects_100": deep_objects(100),
        "brackets_in_strings": config_text(scene=',"messages":{"partner_excluded":"' + "[" * 100 + '\\"{"}'),
        "huge_string": config_text(scene=',"messages":{"partner_excluded":"' + "m" * 20000 + '"}'),
        "many_keys": config_text(server='"server":{' + ",".join(f'"k{i}":{i}' for i in range(2000)) + "},"),
        "many_scenes": '{"experiment_id":"x","scenes":['
        + ",".join(f'{{"scene_id":"s{i}","type":"static"}}' for i in range(2000)) + "]}",
        "duplicate_keys": '{"experiment_id":"x","experiment_id":"y","scenes":[{"scene_id":"a","type":"static"}]}',
        # `client` objects (issue 18): opaque, as deep as the limit allows, kept as text.
        "client_deep_at_limit": config_text(scene=',"client":' + deep_objects(61)),
        "client_deep_over_limit": config_text(scene=',"client":' + deep_objects(62)),
        "client_mug": '{"experiment_id":"x","client":{"pyodide_config":{"needs_pyodide":true},"max_latency":-1e309,'
        '"turn_config":{"username":"u"}},"scenes":[{"scene_id":"a","type":"static","client":{"scene_type":"StartScene",'
        '"scene_id":"b","scene_index":"x","type":[]}},{"scene_id":"g","type":"game","human_seats":2,"client":'
        '{"waitroom_timeout_message":{"a":[1,2]},"hide_lobby_count":"yes","n":1e308,"z":-0}}]}',
        "client_not_object": config_text(scene=',"client":[1]'),
        "client_duplicate_keys": config_text(scene=',"client":{"a":1,"a":2}'),
    }
    for i, n in enumerate(EDGE_NUMBERS):
        seeds[f"number_{i}"] = config_text(server='"server":{"port":' + n + ',"max_message_bytes":' + n + "},",
                                           scene=',"countdown_ms":' + n)
    out = {name: text.encode() for name, text in seeds.items()}
    out["invalid_utf8"] = config_text().replace('"g"', "SCENE").encode().replace(b"SCENE", BAD_UTF8)
    return out


def nesting_seeds():
    """json_nesting against the parser's own depth (fuzz_json_nesting)."""
    seeds = {
        "deep_64": deep(64),
        "deep_1000_mixed": '{"a":' * 500 + deep(500) + "}" * 500,
        "escapes": '["\\\\",["\\"[",{"k\\"{":"v[","[":{}}],"\\u005b"]',
        "strings_only": '"[[[{{{"',
        "numbers": "[" + ",".join(EDGE_NUMBERS) + "]",
        "trailing_nul": "[]\0[[[[",
    }
    out = {name: text.encode() for name, text in seeds.items()}
    out["invalid_utf8"] = b"[" + BAD_UTF8 + b",[[]]]"
    return out


def main():
    for target, seeds in [("wire_message", wire_seeds()), ("socketio_frame", frame_seeds()),
                          ("config", config_seeds()), ("json_nesting", nesting_seeds())]:
        directory = CORPUS / target
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (directory / name).write_bytes(data)
        print(f"{target}: {len(seeds)} seeds, {sum(map(len, seeds.values())):,} bytes")


if __name__ == "__main__":
    main()
