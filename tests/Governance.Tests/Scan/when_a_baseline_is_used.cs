namespace Governance.Tests.Scan;

public sealed class when_a_baseline_is_used : IDisposable
{
    private readonly GitRepo _tree = new(init: false);

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task accepted_findings_are_silenced_and_a_new_one_still_fails()
    {
        _tree.Write("tests/fixtures.txt", $"{Secrets.OpenAi()}\n{Secrets.Google()}\n");
        var baseline = _tree.File("baseline.txt");

        var written = await Scanner.RunAsync(_tree.Path, "--write-baseline", baseline);
        var accepted = await Scanner.RunAsync(_tree.Path, "--baseline", baseline);
        _tree.Write("src/new.py", $"KEY = '{Secrets.Replicate()}'\n");
        var next = await Scanner.RunAsync(_tree.Path, "--baseline", baseline, "--format", "json");

        Assert.Equal(0, written.ExitCode);
        Assert.Equal(2, File.ReadAllLines(baseline).Count(line => line.Length > 0 && !line.StartsWith('#')));
        Assert.Equal(0, accepted.ExitCode);
        Assert.Contains("no secrets found", accepted.Output);
        Assert.Contains("2 baselined", accepted.Output);
        Assert.Equal(1, next.ExitCode);
        Assert.Equal("src/new.py", Assert.Single(next.Findings()).GetProperty("path").GetString());
        Assert.Equal(2, next.Json().GetProperty("summary").GetProperty("baselined").GetInt32());
    }

    [Fact]
    public async Task a_malformed_baseline_is_an_error_that_names_its_line_and_silences_nothing()
    {
        _tree.Write("a.txt", Secrets.Google());
        File.WriteAllText(_tree.File("baseline.txt"), $"# accepted\n{new string('a', 64)}\nnot-a-fingerprint\n");

        var run = await Scanner.RunAsync(_tree.Path, "--baseline", _tree.File("baseline.txt"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("line 3: expected a fingerprint (64 hex digits), found 'not-a-fingerprint'", run.Errors);
    }

    [Fact]
    public async Task a_missing_baseline_file_is_an_error_not_an_empty_baseline()
    {
        var run = await Scanner.RunAsync(_tree.Path, "--baseline", _tree.File("nope.txt"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--baseline", run.Errors);
    }
}
