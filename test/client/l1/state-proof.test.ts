// VerifiedL1State against a real anvil: proven values equal the contract's own views (so a storage layout change
// breaks this test), and a lying RPC in front of anvil is caught for each kind of lie.
import t, { type Test } from 'tap';
import { createServer, type Server } from 'node:http';
import { Contract, NonceManager, parseEther, type LogDescription, type Result, type TransactionResponse } from 'ethers';
import {
  depositTransaction, signTransaction, SparseMerkleTree, transactionDigest, type Address, type Hash, type Transaction,
} from '../../../client/protocol/index.ts';
import { L1StateProofError, VerifiedL1State, type L1StateProofErrorCode } from '../../../client/l1/state-proof.ts';
import { JsonRpc } from '../../../client/l1/rpc.ts';
import { deployDemoTokens } from '../../../client/l1/deploy.ts';
import { loadArtifact } from '../../../client/l1/artifacts.ts';
import { EXIT_BOND, EXIT_PERIOD_SECONDS, startTestChain, type TestChain } from '../../support/anvil.ts';

const ETH = parseEther('1');
const asTuple = (tx: Transaction) => [tx.slot, tx.prevBlock, tx.denomination, tx.newOwner] as const;
const mined = async (sent: Promise<TransactionResponse>) => (await (await sent).wait())!;

interface Deposited { slot: bigint; block: bigint; owner: Address; denomination: bigint }

function depositOf(chain: TestChain, receipt: { logs: readonly { topics: readonly string[]; data: string }[] }): { slot: bigint; block: bigint } {
  const log = receipt.logs.map((l) => { try { return chain.contract().interface.parseLog(l); } catch { return null; } })
    .find((p: LogDescription | null) => p?.name === 'Deposit');
  return { slot: log!.args.getValue('slot') as bigint, block: log!.args.getValue('blockNumber') as bigint };
}

async function depositEth(chain: TestChain, user: number, value: bigint): Promise<Deposited> {
  const wallet = chain.users[user]!;
  const receipt = await mined(chain.contract(wallet).getFunction('deposit')({ value }));
  return { ...depositOf(chain, receipt), owner: wallet.address.toLowerCase() as Address, denomination: value };
}

/** One child block holding `spends`, committed by the operator; returns the tree for proofs. */
async function commit(chain: TestChain, number: bigint, spends: readonly Transaction[]): Promise<SparseMerkleTree> {
  const tree = SparseMerkleTree.build(spends.map((tx) => ({ slot: tx.slot, leaf: transactionDigest(tx, chain.domain) })));
  await mined(chain.contract().getFunction('submitBlock')(tree.root, number));
  return tree;
}

/** The view's struct as a plain object with lowercase addresses, the shape VerifiedL1State returns. */
function plain(result: Result): Record<string, unknown> {
  return Object.fromEntries(Object.entries(result.toObject()).map(([k, v]) => [k, typeof v === 'string' ? v.toLowerCase() : v]));
}

/** Builds a history on L1 with every coin and exit state, and the L1 blocks at which to compare. */
async function scenario(chain: TestChain) {
  const [u0, u1, u2] = chain.users as [typeof chain.users[0], typeof chain.users[0], typeof chain.users[0]];
  const a = await depositEth(chain, 0, ETH);
  const b = await depositEth(chain, 1, 2n * ETH);
  // An NFT coin: token and tokenId are words 1 and 3 of Coin.
  const { erc721 } = await deployDemoTokens(new NonceManager(chain.operator) as never);
  const nft = new Contract(erc721, loadArtifact('DemoERC721').abi as never, u2);
  await mined(nft.getFunction('mint')(u2.address, 7n));
  await mined(nft.getFunction('approve')(chain.address, 7n));
  const c: Deposited = { ...depositOf(chain, await mined(chain.contract(u2).getFunction('depositERC721')(erc721, 7n))), owner: u2.address.toLowerCase() as Address, denomination: 1n };
  const early = BigInt(await chain.provider.getBlockNumber());

  // A moves u0 → u1 (block 1000) → u2 (block 2000); C is spent by u2 in block 1000 (to cancel its deposit exit).
  const a1: Transaction = { slot: a.slot, prevBlock: a.block, denomination: ETH, newOwner: u1.address.toLowerCase() as Address };
  const c1: Transaction = { slot: c.slot, prevBlock: c.block, denomination: 1n, newOwner: u0.address.toLowerCase() as Address };
  const tree1000 = await commit(chain, 1000n, [a1, c1]);
  const a2: Transaction = { slot: a.slot, prevBlock: 1000n, denomination: ETH, newOwner: u2.address.toLowerCase() as Address };
  const tree2000 = await commit(chain, 2000n, [a2]);
  await commit(chain, 3000n, []);

  // A: a full exit by u2, then a challengeBefore with A's deposit transaction (fills first/lastChallenge).
  await mined(chain.contract(u2).getFunction('startExit')(
    asTuple(a1), tree1000.proof(a.slot), 1000n, asTuple(a2), await signTransaction(a2, chain.domain, u1.privateKey as Hash),
    tree2000.proof(a.slot), 2000n, { value: EXIT_BOND }));
  await mined(chain.contract(u0).getFunction('challengeBefore')(asTuple(depositTransaction(a)), '0x', a.block, { value: EXIT_BOND }));
  // B: a deposit exit, finalized and withdrawn below.
  await mined(chain.contract(u1).getFunction('startDepositExit')(b.slot, { value: EXIT_BOND }));
  // A, second live exit: u0's deposit exit, below u2's (the head of A's list of live exits, linked to it).
  await mined(chain.contract(u0).getFunction('startDepositExit')(a.slot, { value: EXIT_BOND }));
  // C: a deposit exit cancelled by challengeAfter (back to Deposited; its exit block is dead), then u0 exits c1 (nonce 2).
  await mined(chain.contract(u2).getFunction('startDepositExit')(c.slot, { value: EXIT_BOND }));
  const middle = BigInt(await chain.provider.getBlockNumber());
  const c1Signature = await signTransaction(c1, chain.domain, u2.privateKey as Hash);
  await mined(chain.contract(u0).getFunction('challengeAfter')(asTuple(c1), c1Signature, tree1000.proof(c.slot), 1000n));
  await mined(chain.contract(u0).getFunction('startExit')(asTuple(depositTransaction(c)), '0x', c.block, asTuple(c1), c1Signature, tree1000.proof(c.slot), 1000n, { value: EXIT_BOND }));
  await chain.increaseTime(EXIT_PERIOD_SECONDS + 1n);
  await mined(chain.contract().getFunction('finalizeExit')(b.slot));
  await mined(chain.contract(u1).getFunction('withdraw')(b.slot));
  const late = BigInt(await chain.provider.getBlockNumber());
  return { coins: [a, b, c], l1Blocks: [early, middle, late] };
}

t.test('proven roots, coins and exits equal the contract views, at several L1 blocks', async (t) => {
  const chain = await startTestChain(t);
  const { coins, l1Blocks } = await scenario(chain);
  const verified = new VerifiedL1State({ rpc: chain.rpc, contract: chain.address });
  const view = chain.contract();
  const unknownSlot = 0x1234567890abcdefn;
  let exitsCompared = 0;
  for (const l1Block of l1Blocks) {
    const at = { blockTag: l1Block };
    const { stateRoot, hash } = await verified.stateRootAt(l1Block);
    const block = (await chain.provider.getBlock(l1Block))!;
    t.equal(hash, block.hash, `block hash of ${l1Block}`);
    t.equal(stateRoot, block.stateRoot, `state root of ${l1Block}`);
    for (const number of [1000n, 2000n, 3000n, 4000n, 1n]) {
      t.equal(await verified.childBlockRoot(number, l1Block), await view.getFunction('childBlockRoot').staticCall(number, at), `childBlockRoot(${number}) at ${l1Block}`);
    }
    for (const slot of [...coins.map((coin) => coin.slot), unknownSlot]) {
      const coin = await verified.coin(slot, l1Block);
      t.same(coin, plain(await view.getFunction('getCoin').staticCall(slot, at)), `getCoin(${slot}) at ${l1Block}`);
      for (let nonce = 0n; nonce <= coin.exitCount + 1n; nonce++) {
        t.same(await verified.exit(slot, nonce, l1Block), plain(await view.getFunction('getExit').staticCall(slot, nonce, at)), `getExit(${slot}, ${nonce}) at ${l1Block}`);
        exitsCompared++;
      }
    }
  }
  // The scenario really reached the states whose fields the layout packs: otherwise the comparisons prove little.
  const [a, b, c] = coins as [Deposited, Deposited, Deposited];
  const late = l1Blocks[2]!;
  t.match(await verified.coin(b.slot, late), { state: 3n, withdrawn: true, exitCount: 1n });
  t.match(await verified.coin(c.slot, late), { kind: 2n, tokenId: 7n, state: 2n, exitCount: 2n });
  t.not((await verified.coin(c.slot, late)).token, `0x${'0'.repeat(40)}`);
  t.match(await verified.exit(c.slot, 1n, late), { status: 3n });
  const exitA = await verified.exit(a.slot, 1n, late);
  t.match(exitA, { status: 1n, parentBlock: 1000n, exitBlock: 2000n, parentOwner: chain.users[1]!.address.toLowerCase() });
  t.equal(exitA.firstChallenge, transactionDigest(depositTransaction(a), chain.domain));
  t.ok(exitA.finalizableAt > 0n && exitA.maturesAt > 0n);
  // A's two live exits, linked in exit-block order: the deposit exit (nonce 2) first.
  t.match(await verified.coin(a.slot, late), { state: 2n, exitCount: 2n, headExit: 2n });
  t.match(exitA, { previousExit: 2n, nextExit: 0n });
  t.match(await verified.exit(a.slot, 2n, late), { status: 1n, nextExit: 1n, previousExit: 0n, exitBlock: a.block });
  t.match(await verified.coin(c.slot, late), { headExit: 2n });
  t.ok(exitsCompared >= 20, `${exitsCompared} exits compared`);
});

/** A JSON-RPC proxy in front of anvil that passes every answer through `tamper` (set per case). */
// `any`: each lie edits a different part of a raw JSON answer; typing them all would only add noise.
async function lyingProxy(t: Test, upstream: string) {
  const state: { tamper: (method: string, result: any) => unknown } = { tamper: (_m, result) => result };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', async () => {
      const request = JSON.parse(body) as { method: string };
      const answer = await (await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json() as { result?: unknown };
      if ('result' in answer) answer.result = state.tamper(request.method, structuredClone(answer.result));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, state };
}

const flipByte = (hex: string, at: number): string => {
  const i = 2 + 2 * at;
  return hex.slice(0, i) + ((parseInt(hex.slice(i, i + 2), 16) ^ 0x01).toString(16).padStart(2, '0')) + hex.slice(i + 2);
};

t.test('a lying L1 node is caught for each kind of lie', async (t) => {
  const chain = await startTestChain(t);
  const { coins } = await scenario(chain);
  const proxy = await lyingProxy(t, chain.rpcUrl);
  const verified = new VerifiedL1State({ rpc: new JsonRpc(proxy.url), contract: chain.address });
  const l1Block = BigInt(await chain.provider.getBlockNumber());
  const slot = coins[0]!.slot;
  const honestRoot = await verified.childBlockRoot(1000n, l1Block);
  t.equal(honestRoot, await chain.contract().getFunction('childBlockRoot').staticCall(1000n), 'the proxy passes honest answers through');

  const cases: { name: string; code: L1StateProofErrorCode; what: RegExp; tamper: (method: string, result: any) => unknown }[] = [
    {
      name: 'a changed storage value in eth_getProof', code: 'l1_storage_proof_invalid', what: /getCoin/,
      tamper: (m, r) => (m === 'eth_getProof' && (r.storageProof[2].value = '0x' + (BigInt(r.storageProof[2].value) + 1n).toString(16)), r),
    },
    {
      name: 'a set value claimed zero with an empty proof', code: 'l1_storage_proof_invalid', what: /getCoin/,
      tamper: (m, r) => (m === 'eth_getProof' && Object.assign(r.storageProof[0], { value: '0x0', proof: [] }), r),
    },
    {
      name: 'a changed stateRoot in the header', code: 'l1_header_mismatch', what: /header/,
      tamper: (m, r) => (m === 'eth_getBlockByNumber' && (r.stateRoot = flipByte(r.stateRoot, 31)), r),
    },
    {
      name: 'another block answered for the one asked', code: 'l1_header_mismatch', what: /header/,
      tamper: (m, r) => (m === 'eth_getBlockByNumber' && (r.number = '0x' + (BigInt(r.number) - 1n).toString(16)), r),
    },
    {
      name: 'a changed account proof node (the leaf holding the storage root)', code: 'l1_account_proof_invalid', what: /account/,
      tamper: (m, r) => (m === 'eth_getProof' && (r.accountProof[r.accountProof.length - 1] = flipByte(r.accountProof.at(-1), 40)), r),
    },
    {
      name: 'a changed storage proof node', code: 'l1_storage_proof_invalid', what: /getCoin/,
      tamper: (m, r) => (m === 'eth_getProof' && (r.storageProof[1].proof[0] = flipByte(r.storageProof[1].proof[0], 5)), r),
    },
    {
      name: 'a proof of another account', code: 'l1_account_proof_invalid', what: /account/,
      tamper: (m, r) => (m === 'eth_getProof' && (r.address = chain.users[0]!.address), r),
    },
  ];
  for (const lie of cases) {
    proxy.state.tamper = lie.tamper;
    const error = await verified.coin(slot, l1Block).then(() => undefined, (e: unknown) => e);
    t.ok(error instanceof L1StateProofError, `${lie.name}: L1StateProofError`);
    if (!(error instanceof L1StateProofError)) {
      t.comment(String(error));
      continue;
    }
    t.equal(error.code, lie.code, `${lie.name}: code`);
    t.equal(error.l1Block, l1Block, `${lie.name}: names the L1 block`);
    t.match(error.message, lie.what, `${lie.name}: names the value (${error.message.split('\n')[0]})`);
  }
  proxy.state.tamper = (_m, r) => r;
  t.same(await verified.coin(slot, l1Block), await verified.coin(slot, l1Block), 'honest again afterwards');
});

t.test('no contract and no block are named as such, not read as zeros', async (t) => {
  const chain = await startTestChain(t);
  const l1Block = BigInt(await chain.provider.getBlockNumber());
  const check = async (contract: Address, block: bigint, code: L1StateProofErrorCode, name: string) => {
    const error = await new VerifiedL1State({ rpc: chain.rpc, contract }).childBlockRoot(1000n, block).then(() => undefined, (e: unknown) => e);
    t.ok(error instanceof L1StateProofError && error.code === code, `${name}: ${String(error)}`);
  };
  await check(chain.users[0]!.address as Address, l1Block, 'l1_contract_absent', 'an account without code');
  await check(`0x${'42'.repeat(20)}`, l1Block, 'l1_contract_absent', 'an address with no account');
  await check(chain.address, l1Block + 100n, 'l1_block_missing', 'a block the node does not have');
});
