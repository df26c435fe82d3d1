"""Generators, yield from, async functions, async generators, async with/for."""
import asyncio


def count_up(limit):
    n = 0
    while n < limit:
        yield n
        n += 1


def delegate():
    yield "start"
    result = yield from count_up(3)
    yield "end"
    return result


def never_iterated():
    yield "nothing"


class Resource:
    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False


async def ticker(limit):
    for i in range(limit):
        await asyncio.sleep(0)
        yield i


async def main():
    async with Resource() as res:
        got = [i async for i in ticker(3)]
    total = 0
    async for value in ticker(2):
        total += value
    results = await asyncio.gather(
        helper(1),
        helper(2),
    )
    return got, total, results, res is not None


async def helper(x):
    await asyncio.sleep(0)
    if x > 5:
        return "big"
    return x


def pipeline():
    doubled = (x * 2 for x in count_up(4))
    return list(y + 1 for y in doubled if y > 0)


print(list(delegate()), pipeline())
print(asyncio.run(main()))
