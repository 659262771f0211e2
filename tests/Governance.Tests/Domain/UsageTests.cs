using System.Text;
using Governance.Domain.Usage;

namespace Governance.Tests.Domain;

public sealed class UsageTests
{
    private static TokenUsage Read(string json) => ProxyAdapter.Usage.Read(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void token_counts_are_read_from_an_openai_chat_completion()
    {
        const string json = """
            {
              "id": "chatcmpl-123",
              "object": "chat.completion",
              "created": 1741569952,
              "model": "gpt-4o-mini-2024-07-18",
              "choices": [
                { "index": 0, "message": { "role": "assistant", "content": "Hello!" }, "finish_reason": "stop" }
              ],
              "usage": {
                "prompt_tokens": 1234,
                "completion_tokens": 567,
                "total_tokens": 1801,
                "prompt_tokens_details": { "cached_tokens": 0, "audio_tokens": 0 },
                "completion_tokens_details": { "reasoning_tokens": 0, "audio_tokens": 0 }
              }
            }
            """;

        Assert.Equal(new TokenUsage(1234, 0, 567, 0), Read(json));
    }

    [Fact]
    public void counts_beyond_int_range_are_read_as_longs()
    {
        Assert.Equal(new TokenUsage(5_000_000_000, 0, 1, 0), Read("""{"usage":{"prompt_tokens":5000000000,"completion_tokens":1}}"""));
    }

    [Fact]
    public void a_response_without_usage_counts_no_tokens()
    {
        Assert.Equal(TokenUsage.None, Read("""{"id":"chatcmpl-123","choices":[]}"""));
    }

    [Theory]
    [InlineData("""{"usage":null}""")]
    [InlineData("""{"usage":42}""")]
    [InlineData("""[{"usage":{"prompt_tokens":1,"completion_tokens":2}}]""")]
    [InlineData("null")]
    public void a_usage_that_is_not_an_object_counts_no_tokens(string json)
    {
        Assert.Equal(TokenUsage.None, Read(json));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("""{"usage":{"prompt_tokens":1,""")]
    [InlineData("<html>502 Bad Gateway</html>")]
    public void an_invalid_body_counts_no_tokens(string body)
    {
        Assert.Equal(TokenUsage.None, Read(body));
    }

    [Fact]
    public void negative_counts_are_read_as_zero()
    {
        Assert.Equal(new TokenUsage(0, 0, 0, 0), Read("""{"usage":{"prompt_tokens":-5,"completion_tokens":-1}}"""));
        Assert.Equal(new TokenUsage(10, 0, 0, 0), Read("""{"usage":{"prompt_tokens":10,"completion_tokens":-1}}"""));
    }

    [Fact]
    public void a_missing_count_is_read_as_zero()
    {
        Assert.Equal(new TokenUsage(10, 0, 0, 0), Read("""{"usage":{"prompt_tokens":10}}"""));
    }

    [Fact]
    public void a_fractional_count_is_read_as_zero()
    {
        Assert.Equal(new TokenUsage(0, 0, 3, 0), Read("""{"usage":{"prompt_tokens":1.5,"completion_tokens":3}}"""));
    }

    [Theory]
    [InlineData("""{"usage":{"prompt_tokens":null,"completion_tokens":3}}""")]
    [InlineData("""{"usage":{"prompt_tokens":"12","completion_tokens":3}}""")]
    public void a_count_that_is_not_a_number_is_read_as_zero_instead_of_failing_the_request(string json)
    {
        Assert.Equal(new TokenUsage(0, 0, 3, 0), Read(json));
    }

    [Fact]
    public void cached_and_reasoning_details_are_read_and_never_exceed_their_totals()
    {
        Assert.Equal(new TokenUsage(100, 40, 50, 30), Read("""
            {"usage":{"prompt_tokens":100,"completion_tokens":50,
              "prompt_tokens_details":{"cached_tokens":40},"completion_tokens_details":{"reasoning_tokens":30}}}
            """));
        Assert.Equal(new TokenUsage(10, 10, 5, 5), Read("""
            {"usage":{"prompt_tokens":10,"completion_tokens":5,
              "prompt_tokens_details":{"cached_tokens":99},"completion_tokens_details":{"reasoning_tokens":99}}}
            """));
    }
}
