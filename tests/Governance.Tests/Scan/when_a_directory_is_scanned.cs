namespace Governance.Tests.Scan;

public sealed class when_a_directory_is_scanned : IDisposable
{
    private readonly GitRepo _tree = new(init: false);

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task every_documented_shape_is_found_at_its_line_and_column()
    {
        var virtualKey = Secrets.VirtualKey();
        _tree.Write("app/settings.py", $"""
            # settings
            GATEWAY_KEY = "{virtualKey}"
            OPENAI = "{Secrets.OpenAi()}"
            legacy = '{Secrets.OpenAiLegacy()}'
                anthropic: {Secrets.Anthropic()}
            aws_access_key_id={Secrets.AwsAccessKeyId()}
            maps = "{Secrets.Google()}"
            export REPLICATE_API_TOKEN={Secrets.Replicate()}
            """);

        var run = await Scanner.RunAsync(_tree.Path, "--format", "json");

        Assert.Equal(1, run.ExitCode);
        var found = run.Findings().Select(f => (Rule: f.GetProperty("rule").GetString(), Line: f.GetProperty("line").GetInt32(), Column: f.GetProperty("column").GetInt32()));
        Assert.Equal(
            [("governance-virtual-key", 2, 16), ("openai-api-key", 3, 11), ("openai-legacy-key", 4, 11), ("anthropic-api-key", 5, 16),
             ("aws-access-key-id", 6, 19), ("google-api-key", 7, 9), ("replicate-api-token", 8, 28)],
            found);
        var key = run.Findings()[0];
        Assert.Equal("app/settings.py", key.GetProperty("path").GetString());
        Assert.Equal(virtualKey[3..19], key.GetProperty("keyId").GetString());
        Assert.Equal($"gk_{virtualKey[3..19]}_…", key.GetProperty("preview").GetString());
        Assert.Equal(Governance.Domain.Keys.KeyFormat.Hash(virtualKey), key.GetProperty("fingerprint").GetString());
        Assert.Equal("high", key.GetProperty("confidence").GetString());
    }

    [Fact]
    public async Task a_gk_string_whose_checksum_fails_is_not_a_finding()
    {
        var key = Secrets.VirtualKey();
        var broken = key[..^1] + (key[^1] == 'a' ? 'b' : 'a');
        _tree.Write("notes.md", $"example: {broken}\n");

        var run = await Scanner.RunAsync(_tree.Path);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("no secrets found in 1 file (", run.Output);
    }

    [Fact]
    public async Task thirty_two_hex_digits_count_only_next_to_a_telling_name_and_with_low_confidence()
    {
        _tree.Write(".env", $"AZURE_OPENAI_API_KEY={Secrets.Hex32()}\nBUILD_ID={Secrets.Hex32()}\n")
            .Write("config.json", $$"""{ "api-key": "{{Secrets.Hex32()}}", "etag": "{{Secrets.Hex32()}}" }""");

        var run = await Scanner.RunAsync(_tree.Path, "--format", "json");

        Assert.Equal(1, run.ExitCode);
        var found = run.Findings();
        Assert.Equal([(".env", 1), ("config.json", 1)], found.Select(f => (f.GetProperty("path").GetString(), f.GetProperty("line").GetInt32())));
        Assert.All(found, f => Assert.Equal("azure-api-key", f.GetProperty("rule").GetString()));
        Assert.All(found, f => Assert.Equal("low", f.GetProperty("confidence").GetString()));
        Assert.Equal(15, found[1].GetProperty("column").GetInt32());
    }

    [Fact]
    public async Task a_clean_tree_exits_0_and_one_secret_makes_it_exit_1()
    {
        _tree.Write("README.md", "Keys look like gk_<id>_<secret>; sk- starts an OpenAI key.\n");
        var clean = await Scanner.RunAsync(_tree.Path);

        _tree.Write("deploy/values.yaml", $"google: {Secrets.Google()}\n");
        var dirty = await Scanner.RunAsync(_tree.Path);

        Assert.Equal(0, clean.ExitCode);
        Assert.Equal(1, dirty.ExitCode);
        Assert.Contains("deploy/values.yaml:1:9  google-api-key (high)", dirty.Output);
    }

    [Fact]
    public async Task one_file_can_be_scanned_on_its_own()
    {
        _tree.Write("one.txt", $"x {Secrets.Replicate()}\n").Write("other.txt", $"y {Secrets.Replicate()}\n");

        var run = await Scanner.RunAsync(_tree.File("one.txt"), "--format", "json");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("one.txt", Assert.Single(run.Findings()).GetProperty("path").GetString());
    }
}
