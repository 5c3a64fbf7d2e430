export { DEAD_LETTER_BUCKET, deadLetterEvent, encodeLetter, letterName, newDeadLetter, type GivenUp } from './letter';
export { MAX_REASON_LENGTH, publicReason } from './reason';
export { keepLetter, listDeadLetters, readDeadLetter } from './store';
