using System.Text;
using Governance.Domain.Usage;
using ProxyAdapter;
using ProxyAdapter.Streaming;

namespace Governance.Tests.Domain;

public sealed class StreamingTests
{
    private static ReadOnlyMemory<byte> Bytes(string s) => Encoding.UTF8.GetBytes(s);

    [Theory]
    [InlineData("data: a\n\ndata: b\n\n", 9)]
    [InlineData("data: a\r\n\r\ndata: b", 11)]
    [InlineData("data: a\r\rrest", 9)]
    [InlineData("event: x\ndata: a\n\n", 18)]
    [InlineData("data: a\n", -1)]
    [InlineData("data: a\n\r", -1)]
    [InlineData("", -1)]
    public void an_event_ends_at_its_blank_line(string buffer, int length)
    {
        Assert.Equal(length, Sse.EventLength(Encoding.UTF8.GetBytes(buffer)));
    }

    [Theory]
    [InlineData("data: {\"a\":1}\n\n", "{\"a\":1}")]
    [InlineData("event: message_start\ndata:{\"a\":1}\n\n", "{\"a\":1}")]
    [InlineData("data: one\ndata: two\n\n", "one\ntwo")]
    [InlineData(": keep-alive\n\n", "")]
    [InlineData("data: x\r\n\r\n", "x")]
    public void the_data_lines_make_the_payload(string evt, string data)
    {
        Assert.Equal(data, Encoding.UTF8.GetString(Sse.Data(Bytes(evt)).Span));
    }

    [Fact]
    public void the_usage_chunk_the_gateway_asked_for_is_dropped_and_read()
    {
        var observer = new OpenAiChatObserver(dropUsageChunk: true);
        const string usage = """{"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":4,"prompt_tokens_details":{"cached_tokens":2},"completion_tokens_details":{"reasoning_tokens":1}}}""";

        Assert.True(observer.Observe(Bytes("data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}\n\n")));
        Assert.False(observer.Observe(Bytes($"data: {usage}\n\n")));
        Assert.True(observer.Observe(Bytes("data: [DONE]\n\n")));
        Assert.Equal(new StreamUsage(new TokenUsage(10, 2, 4, 1), false), observer.Result(1_000, 100));
    }

    [Fact]
    public void a_usage_chunk_the_client_asked_for_and_usage_on_a_content_chunk_are_forwarded()
    {
        var observer = new OpenAiChatObserver(dropUsageChunk: false);
        Assert.True(observer.Observe(Bytes("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}\n\n")));

        var dropping = new OpenAiChatObserver(dropUsageChunk: true);
        Assert.True(dropping.Observe(Bytes("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}\n\n")));
        Assert.False(dropping.Result(0, 0).Estimated);
    }

    [Fact]
    public void without_usage_the_estimate_counts_text_and_tool_arguments_and_respects_the_cap()
    {
        var observer = new OpenAiChatObserver(dropUsageChunk: true);
        observer.Observe(Bytes("data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n"));
        observer.Observe(Bytes("data: {\"choices\":[{\"delta\":{\"content\":\"abcdefgh\"}}]}\n\n"));
        observer.Observe(Bytes("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\"{\\\"q\\\":1}\"}}]}}]}\n\n"));
        observer.Observe(Bytes("data: {\"choices\":[{\"delta\":{\"content\":\"é\"}}]}\n\n"));

        // 8 + 7 + 2 bytes = 17 → 5 tokens; three chunks carried text; input: 41 bytes → 11 tokens.
        Assert.Equal(new StreamUsage(new TokenUsage(11, 0, 5, 0), true), observer.Result(41, 100));
        Assert.Equal(3, observer.Result(41, 3).Usage.Output);
    }

    [Fact]
    public void anthropic_usage_comes_from_message_start_and_message_delta()
    {
        var observer = new AnthropicObserver();
        observer.Observe(Bytes("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":20,\"cache_read_input_tokens\":5,\"cache_creation_input_tokens\":3,\"output_tokens\":1}}}\n\n"));
        observer.Observe(Bytes("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello there\"}}\n\n"));

        // Cut short after the first delta: exact input, output estimated from the text (11 bytes → 3), marked.
        Assert.Equal(new StreamUsage(new TokenUsage(28, 5, 3, 0), true), observer.Result(500, 100));

        observer.Observe(Bytes("event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":42}}\n\n"));
        Assert.Equal(new StreamUsage(new TokenUsage(28, 5, 42, 0), false), observer.Result(500, 100));
    }

    [Fact]
    public void an_anthropic_stream_cut_before_message_start_is_estimated_entirely()
    {
        Assert.Equal(new StreamUsage(new TokenUsage(25, 0, 0, 0), true), new AnthropicObserver().Result(100, 100));
    }

    [Fact]
    public void anthropic_non_streamed_usage_counts_cache_reads_and_writes_as_input()
    {
        var usage = AnthropicUsage.TryRead(Encoding.UTF8.GetBytes(
            """{"usage":{"input_tokens":10,"cache_read_input_tokens":4,"cache_creation_input_tokens":2,"output_tokens":7}}"""));

        Assert.Equal(new TokenUsage(16, 4, 7, 0), usage);
        Assert.Null(AnthropicUsage.TryRead("""{"content":[]}"""u8));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(4, 1)]
    [InlineData(5, 2)]
    [InlineData(4_000, 1_000)]
    public void an_estimate_is_a_token_per_four_bytes_rounded_up(long bytes, long tokens)
    {
        Assert.Equal(tokens, Estimate.Tokens(bytes));
    }
}
