// An L1 write estimated at one moment and mined later must still have gas enough. PlasmaCash's challengeBefore
// writes one more storage slot when it has to push the exit's finalizableAt, which depends on the block's
// timestamp; the wallet's send estimates before it sends, so time passing in between must not make it fail.
import t from 'tap';
import { parseEther, Wallet, type TransactionRequest } from 'ethers';
import { depositTransaction } from '../../../client/protocol/index.ts';
import { transactionArgument } from '../../../client/l1/plasma-cash.ts';
import { EXIT_BOND, EXIT_PERIOD_SECONDS, RESPONSE_PERIOD_SECONDS } from '../../support/anvil.ts';
import { depositAndWait, startSystem, type TestSystem } from '../../support/system.ts';
import { ANVIL_KEYS } from '../../../devnet/anvil.ts';

/** A signer whose clock jumps by `seconds` between the gas estimate and the sending, as a slow L1 would. */
class LateSigner extends Wallet {
  constructor(key: string, private readonly system: TestSystem, private readonly seconds: bigint) {
    super(key, system.chain.provider);
  }

  override async estimateGas(tx: TransactionRequest): Promise<bigint> {
    const gas = await super.estimateGas(tx);
    await this.system.chain.increaseTime(this.seconds);
    return gas;
  }
}

t.test('a challengeBefore estimated before the response deadline passes finalizableAt, mined after, still succeeds', async (t) => {
  const system = await startSystem(t, 'gas_margin');
  const [alice, bob, carol] = await Promise.all([system.wallet(0), system.wallet(1), system.wallet(2)]);
  const { slot, deposit } = await depositAndWait(alice, parseEther('1'));
  await alice.send(slot, bob.address);
  await bob.receive(slot);
  await bob.send(slot, carol.address);
  await carol.receive(slot);
  await carol.exit(slot);
  const { finalizableAt } = await carol.l1.exit(slot, 1n);

  // Estimated now, the challenge leaves finalizableAt alone (now + RESPONSE_PERIOD is before it); mined past
  // finalizableAt - RESPONSE_PERIOD, it must push it: one storage write more than the estimate paid for.
  const late = EXIT_PERIOD_SECONDS - RESPONSE_PERIOD_SECONDS + 5n;
  const griefer = new LateSigner(ANVIL_KEYS[4]!, system, late);
  t.ok((await carol.l1.head()).timestamp + RESPONSE_PERIOD_SECONDS < finalizableAt, 'the estimate is made on the branch without the extension');
  const claim = depositTransaction({ slot, denomination: parseEther('1'), owner: alice.address });
  const sent = await carol.l1.send(griefer, 'challengeBefore', [transactionArgument(claim), '0x', deposit], EXIT_BOND);
  const opened = sent.logs.find((event) => event.name === 'ChallengeOpened');
  t.ok(opened, 'the challenge is open');
  t.ok((await carol.l1.exit(slot, 1n)).finalizableAt > finalizableAt, 'and it pushed finalizableAt: the branch the estimate did not take');
});
