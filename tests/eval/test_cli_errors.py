"""Bad input to the evaluation commands ends in one line on stderr and exit code 2, not a traceback."""

import pytest

from policyqa.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["eval-bench", "--sets", "squad"], "eval-bench: unknown set squad; choose from seeds,ncpqa,crud,cmrc"),
        (["eval-tune", "--sets", "cmrc"], "eval-tune: unknown benchmark set 'cmrc'; choose from ncpqa, crud"),
        (["eval-gate", "no-such-report.json"], "eval-gate: [Errno 2] No such file or directory"),
        (["eval", "no-such-questions.jsonl", "--docs", "no-such-docs.jsonl"], "eval: "),
    ],
)
def test_bad_input_is_one_message_and_exit_code_2(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("POLICYQA_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1, err
